"""``model.summary()``: the layer table Keras prints."""


def format_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


def boxed_table(header, rows, widths, right_aligned):
    """Rows drawn with box characters, as Keras draws its summary."""

    def cells(values, left, middle, right):
        padded = [f" {v:>{w - 2}} " if r else f" {v:<{w - 2}} "
                  for v, w, r in zip(values, widths, right_aligned)]
        return left + middle.join(padded) + right

    def rule(left, middle, right, fill):
        return left + middle.join(fill * w for w in widths) + right

    lines = [rule("┏", "┳", "┓", "━"), cells(header, "┃", "┃", "┃"), rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("├", "┼", "┤", "─"))
        lines.append(cells(row, "│", "│", "│"))
    lines.append(rule("└", "┴", "┘", "─"))
    return lines


def summary_text(model):
    """The summary of ``model`` as a string."""
    shapes = {id(node.layer): node.outputs[0].shape for node in model.nodes} \
        if model.built else {}
    rows = [(f"{layer.name} ({type(layer).__name__})",
             str(shapes.get(id(layer), "?")),
             f"{layer.count_params():,}" if layer.built else "0 (unbuilt)")
            for layer in model.layers]
    lines = [f'Model: "{model.name}"']
    lines += boxed_table(("Layer (type)", "Output Shape", "Param #"), rows,
                         (33, 24, 15), (False, False, True))
    all_weights = model.weights
    trainable = {id(w) for w in model.trainable_weights}
    for label, weights in (("Total", all_weights),
                           ("Trainable", [w for w in all_weights if id(w) in trainable]),
                           ("Non-trainable", [w for w in all_weights if id(w) not in trainable])):
        count = sum(w.value.size for w in weights)
        size = sum(w.value.nbytes for w in weights)
        lines.append(f" {label} params: {count:,} ({format_bytes(size)})")
    return "\n".join(lines)
