"""The graph view the passes match on, and the edits they share."""


def attributes(node):
    """A node's attributes as a dict of Python values."""
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class Graph:
    """Producers, consumers and constants of a graph, for matching."""

    def __init__(self, graph):
        from onnx import numpy_helper

        self.graph = graph
        self.producer = {out: node for node in graph.node for out in node.output}
        self.consumers = {}
        for node in graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.constants = {
            init.name: numpy_helper.to_array(init) for init in graph.initializer
        }
        for node in graph.node:
            if node.op_type == "Constant" and node.attribute[0].name == "value":
                self.constants[node.output[0]] = numpy_helper.to_array(
                    node.attribute[0].t
                )
        self.taken = {out for node in graph.node for out in node.output}
        self.taken |= set(self.constants)

    def node(self, name, *op_types):
        """The node producing `name` if it is one of `op_types`, else None."""
        node = self.producer.get(name)
        return node if node is not None and node.op_type in op_types else None

    def unwrap(self, name, layout):
        """`name` seen through `Identity` ops and the `Reshape`s tf2onnx puts
        on per-channel statistics: those to a constant shape that keeps
        them per channel in `layout` ("NCHW": `(N, C, 1, 1)`; "NHWC":
        `(N, 1, 1, C)`), which change no value."""
        ones = (2, 3) if layout == "NCHW" else (1, 2)
        node = self.producer.get(name)
        while node is not None and node.op_type in ("Reshape", "Identity"):
            if node.op_type == "Reshape":
                shape = self.constants.get(node.input[1])
                if shape is None or shape.size != 4:
                    break
                if any(int(shape[axis]) != 1 for axis in ones):
                    break
            name = node.input[0]
            node = self.producer.get(name)
        return name

    def fresh(self, base):
        """A tensor or node name not in the graph yet."""
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def new_node(self, op, inputs, base, outputs=None, **attrs):
        """An `op` node named afresh after `base`, writing `outputs`, or one
        fresh output when none are given (then also the node's name).

        Example:

        >>> list(graph.new_node("Relu", ["x"], "norm0").output)
        ['norm0_relu']
        """
        from onnx import helper

        name = self.fresh(f"{base}_{op.lower()}")
        outputs = list(outputs) if outputs else [name]
        return helper.make_node(op, inputs, outputs, name=name, **attrs)

    def add_constant(self, base, value):
        from onnx import numpy_helper

        name = self.fresh(base)
        self.graph.initializer.append(numpy_helper.from_array(value, name))
        self.constants[name] = value
        return name


def two_inputs(graph, node, op_type):
    """Of a commutative `node`'s inputs, (the one made by `op_type`, the other)."""
    for a, b in orders(node.input):
        if graph.node(a, op_type) is not None:
            return a, b
    return None, None


def orders(pair):
    a, b = pair
    return ((a, b), (b, a))


def replace(graph, node, nodes):
    """Puts `nodes` where `node` was (keeping the graph sorted)."""
    position = list(graph.node).index(node)
    graph.node.remove(node)
    for offset, new in enumerate(nodes):
        graph.node.insert(position + offset, new)


def remove_unused(graph):
    """Drops nodes and initializers no graph output depends on."""
    needed = {out.name for out in graph.output}
    keep = []
    for node in reversed(list(graph.node)):
        if any(out in needed for out in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    keep.reverse()
    del graph.node[:]
    graph.node.extend(keep)
    inits = [init for init in graph.initializer if init.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    infos = [info for info in graph.value_info if info.name in needed]
    del graph.value_info[:]
    graph.value_info.extend(infos)
