"""Infrastructure the domain rules use but do not own: mail, spreadsheets, paging, the clock
and working days, sign-in throttling and the shared store of its counts, password hashing and
strength. Nothing here knows who may see what (that is ``crm.permissions``) or what a
werkgever is for (that is ``crm.services``).
"""
