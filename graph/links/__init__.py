"""Link analysis: neighbourhoods, paths and clusters, and their exports for link-analysis tools."""
