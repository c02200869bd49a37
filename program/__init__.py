"""What the program reads and decides before it declares components: its last outputs, the network, the images a
promoted stack may run. Pulumi-aware (invokes, stack references), never a resource."""
