"""HTTP routers: the original app's contract, the v1 key API and health checks."""
