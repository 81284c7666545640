"""The parts the per-client stack is composed of; each grants what its functions' code needs where it wires them."""
