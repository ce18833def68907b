"""GraphQL types and thin resolvers, one package per domain; DataLoaders built per request."""
