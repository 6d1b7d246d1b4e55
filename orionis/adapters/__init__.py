"""Protocol adapters: the only code in Orionis that knows ASGI or RSGI exists."""
