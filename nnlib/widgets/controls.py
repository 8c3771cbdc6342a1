"""The look of every explorer's controls, in one place.

A slider's label, track and readout share the slider's width: with the default
width a long label ("learning rate (SGD, momentum)") leaves no track at all.
:func:`styled` shows the whole label and widens the control so that the track
keeps at least :data:`TRACK_WIDTH` pixels and the readout its whole value.
"""
import ipywidgets

#: Pixels per character of a label or readout, at the widgets' 13 px font (generous).
CHARACTER_WIDTH = 7.5
#: The least width of a slider's track, in pixels.
TRACK_WIDTH = 220
#: Room for a readout such as ``0.100``; a range slider's readout needs about twice as much.
READOUT_WIDTH = 72
#: Room for the label of a control that has no description, and for margins.
MARGIN = 16


def _text_width(text):
    return int(CHARACTER_WIDTH * len(text)) + MARGIN


def control_width(widget):
    """A width, in pixels, where ``widget``'s whole label, a track of at least
    ``TRACK_WIDTH`` pixels (or the menu) and its readout fit."""
    label = _text_width(widget.description) if getattr(widget, "description", "") else 0
    if isinstance(widget, (ipywidgets.FloatRangeSlider, ipywidgets.IntRangeSlider,
                           ipywidgets.SelectionRangeSlider)):
        return label + TRACK_WIDTH + 2 * READOUT_WIDTH
    if isinstance(widget, ipywidgets.SelectionSlider):
        longest = max((len(str(option)) for option in widget._options_labels), default=1)
        return label + TRACK_WIDTH + max(READOUT_WIDTH, _text_width("x" * longest))
    if isinstance(widget, (ipywidgets.IntSlider, ipywidgets.FloatSlider,
                           ipywidgets.FloatLogSlider)):
        return label + TRACK_WIDTH + READOUT_WIDTH
    if isinstance(widget, (ipywidgets.Dropdown, ipywidgets.Select, ipywidgets.SelectMultiple)):
        longest = max((len(str(option)) for option in widget._options_labels), default=1)
        return label + max(160, _text_width("x" * longest) + 40)
    if isinstance(widget, ipywidgets.Text):
        return label + 260
    return None


def styled(widget, width=None):
    """Show ``widget``'s whole description and give it room: a slider's track
    keeps at least ``TRACK_WIDTH`` pixels and its readout is not clipped.

    ``width`` (CSS, e.g. ``"520px"``) overrides the computed width; buttons
    (``ToggleButtons``, ``Checkbox``) keep their natural width.  Returns ``widget``.
    """
    widget.style.description_width = "initial"
    if width is None:
        pixels = control_width(widget)
        width = None if pixels is None else f"{pixels}px"
    if width is not None:
        widget.layout.width = width
    return widget


def styled_all(controls):
    """:func:`styled` on every control of a dict (as passed to ``interactive``)
    or a list; returns ``controls``."""
    for widget in (controls.values() if isinstance(controls, dict) else controls):
        styled(widget)
    return controls


def style_controls(explorer, width=None):
    """:func:`styled` on every control of ``explorer`` (an ``interactive`` or any
    box of controls), leaving its output alone; returns ``explorer``.

    ``width`` gives every control the same width (CSS) instead of its own."""
    for child in explorer.children:
        if isinstance(child, ipywidgets.widgets.widget_description.DescriptionWidget):
            styled(child, width)
    return explorer


def interactive(function, **controls):
    """``ipywidgets.interactive(function, **controls)`` with its controls styled
    (see :func:`style_controls`): every explorer is built with this."""
    return style_controls(ipywidgets.interactive(function, **controls))
