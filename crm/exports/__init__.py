"""Export jobs: the page that says "bezig" and then offers the file (crm.services.export_jobs)."""
