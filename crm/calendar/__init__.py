"""The personal iCal feed (``/agenda/<token>.ics``)."""
