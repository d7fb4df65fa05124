"""The service layer: what the API, the admin and the commands call."""
