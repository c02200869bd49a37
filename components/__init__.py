"""fleet's component resources: one concept per module, each typed `fleet:<module>:<Name>`."""
