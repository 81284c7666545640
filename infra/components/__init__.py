"""The parts the edge's stack and each venue's stack are composed of; each grants what its functions' code needs
where it wires them."""
