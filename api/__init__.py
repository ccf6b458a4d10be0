"""The quart-trio application, websocket endpoints, auth and the `hall` command line."""
