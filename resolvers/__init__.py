"""Application logic: queries, mutations, subscriptions, loaders."""
