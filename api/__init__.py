"""HTTP surfaces: the Starlette app, /graphql, health and metrics, settings and the CLI."""
