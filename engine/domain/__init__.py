"""The domain: values, models, events and reason codes. Imports only the standard library."""
