"""Keras 3 configs and nnlib configs, translated both ways.

Both libraries describe a model as JSON data; the two layouts differ in
three places, and this module is the table of those differences:

1. **Component records.**  nnlib writes a component that is not a plain name
   as ``{"kind": "initializer", "class_name": "HeNormal", "config": {...}}``
   (``nnlib.serialization``).  Keras writes ``{"module": "keras.initializers",
   "class_name": "HeNormal", "config": {...}, "registered_name": null}``.  The
   ``module`` says which kind of component it is (``KERAS_MODULES``); it is
   only compared with that table, never imported, and a record whose module
   is not Keras's, or whose ``registered_name`` names another class, is
   refused.  Keras's ``DTypePolicy`` records are dtype names (``"float32"``)
   in nnlib.
2. **Keys one library has and the other lacks.**  Keras has arguments nnlib
   does not (constraints, ``quantization_config``, ``data_format``...).  Each
   is listed in ``KERAS_ONLY`` with its *neutral* values, those that change
   nothing: a Keras config holding a neutral value loads, any other value is
   refused, naming the component, the key and the value.  ``NNLIB_ONLY`` is
   the same table the other way, for the few nnlib arguments a Keras class
   does not take.  Nothing is dropped silently.  ``InputLayer`` is the one
   layer whose arguments are spelled differently: nnlib's ``shape`` and
   ``batch_size`` are Keras's ``batch_shape``.
3. **Calls in a functional model.**  nnlib writes the tensors a call read as
   ``[[layer_name, node_index, tensor_index], ...]``; Keras writes
   ``{"args": [...], "kwargs": {...}}`` with each tensor as a
   ``{"class_name": "__keras_tensor__", "config": {"shape", "dtype",
   "keras_history": [layer_name, node_index, tensor_index]}}`` record.

Everything else (a layer's own arguments, ``name``, ``trainable``, the
graph's ``input_layers`` and ``output_layers``) has the same name and meaning
in both, so the translation is generic: a component's keys are checked
against the arguments its nnlib class takes (``init_arguments``), and a layer
that nnlib adds later translates without a change here.

>>> to_keras_value({"kind": "regularizer", "class_name": "L2", "config": {"l2": 0.1}})
... # doctest: +NORMALIZE_WHITESPACE
{'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.1},
 'registered_name': None}
"""
from .. import registry
from ..layers.deserialization import layer_class
from ..layers.input_layer import InputLayer
from ..registry import snake_case
from ..serialization import KERAS_MODULES, init_arguments, serialize

# The Keras module of each kind of component is serialization.KERAS_MODULES.
# Reading, a module is Keras's if it is ``keras`` or starts with ``keras.``; its
# kind is the first of those whose last word is one of the module's words (Keras
# writes ``keras.src.backend.torch.optimizers.torch_adam`` for its Adam).
MODEL_MODULES = {"Functional": "keras.src.models.functional", "Sequential": "keras"}
DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy")

# Keras arguments nnlib has no counterpart for: {key: the values that change nothing}.
KERAS_ONLY = {
    # constraints project weights after each step; nnlib has none
    **{f"{weight}_constraint": (None,) for weight in (
        "kernel", "bias", "recurrent", "embeddings", "alpha", "beta", "gamma",
        "depthwise", "pointwise")},
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "data_format": ("channels_last",),  # nnlib keeps channels last
    "groups": (1,),
    "synchronized": (False,),  # BatchNormalization across devices
    "renorm": (False,),
    "renorm_clipping": (None,),
    "renorm_momentum": (0.99,),
    "rms_scaling": (False,),
    "input_axes": (None,),  # initializers' fan axes: None means Keras's usual ones
    "output_axes": (None,),
    "sparse": (False, None),  # InputLayer
    "ragged": (False, None),
    "optional": (False,),
    "use_ema": (False,),  # optimizers
    "ema_momentum": (0.99,),
    "ema_overwrite_frequency": (None,),
    "loss_scale_factor": (None,),
    "gradient_accumulation_steps": (None,),
    # compile: how Keras runs a step, not what it computes
    "run_eagerly": (False, True),
    "jit_compile": (False, True, "auto"),
    "steps_per_execution": (1,),
    "auto_scale_loss": (True,),
}
# Keys that only repeat what the rest says (a built Sequential's config starts
# with its InputLayer, which gives its build_input_shape): dropped on reading.
KERAS_DERIVED = ("shared_object_id", "build_config", "build_input_shape")
# Keyword arguments Keras records in a call of a functional model that are not
# tensors: {key: the values nnlib's calls mean}.  Keras records training=False
# for a layer called without it; a call with training=True (dropout kept on at
# inference) has no nnlib counterpart.
KERAS_CALL_ONLY = {"training": (False, None), "mask": (None,)}

# nnlib arguments that some Keras classes do not take: {(class, key): neutral values}.
NNLIB_ONLY = {
    ("Zeros", "seed"): (None,),
    ("Ones", "seed"): (None,),
    ("InputLayer", "trainable"): (True,),
    **{(f"SpatialDropout{rank}D", "trainable"): (True,) for rank in (1, 2, 3)},
    ("InputLayer", "activity_regularizer"): (None,),
}

COMPILE_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")


def _is_neutral(value, neutral):
    return any(value == n and type(value) is type(n) for n in neutral)


def _refuse(owner, what, value, neutral):
    """Raise: Keras's ``what`` holds ``value``, not one of the ``neutral`` values."""
    raise ValueError(f"{owner}: Keras's {what} is {repr(value)[:120]}; nnlib has no "
                     f"counterpart and reads only {' or '.join(map(repr, neutral))}")


# -- nnlib -> Keras ---------------------------------------------------------------------------

def to_keras_value(value):
    """An nnlib config value (``serialize``'s output) as Keras writes it."""
    if isinstance(value, (list, tuple)):
        return [to_keras_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"kind", "class_name", "config"}:
        if value["kind"] == "layer":
            return _layer_record(value["class_name"], value["config"])
        if value["kind"] == "activation":
            raise ValueError(f"activation {value['class_name']} with arguments "
                             f"{value['config']} has no Keras twin as a layer's activation "
                             f"argument (Keras takes activation names); use a "
                             f"{value['class_name']} layer instead")
        return {"module": KERAS_MODULES[value["kind"]], "class_name": value["class_name"],
                "config": _arguments_to_keras(value["class_name"], value["config"]),
                "registered_name": None}
    return {key: to_keras_value(v) for key, v in value.items()}


def _arguments_to_keras(class_name, config):
    arguments = {}
    for key, value in config.items():
        neutral = NNLIB_ONLY.get((class_name, key))
        if neutral is None:
            arguments[key] = to_keras_value(value)
        elif not _is_neutral(value, neutral):
            raise ValueError(f"{class_name}: {key}={value!r} has no Keras counterpart "
                             f"(Keras's {class_name} takes no {key!r})")
    return arguments


def _input_layer_to_keras(config):
    config = dict(config)
    batch_shape = [config.pop("batch_size"), *config.pop("shape")]
    config = _arguments_to_keras("InputLayer", config)
    return {"batch_shape": batch_shape, "dtype": config.pop("dtype"), "sparse": False,
            "ragged": False, "name": config.pop("name"), "optional": False, **config}


def _layer_record(class_name, config, model=None):
    """Keras's record of a layer (or a model, when ``model`` is the live one)."""
    if model is not None:
        return {"module": MODEL_MODULES.get(class_name, "keras.models"),
                "class_name": class_name, "config": _model_to_keras(model, config),
                "registered_name": "Functional" if class_name == "Functional" else None}
    keras_config = _input_layer_to_keras(config) if class_name == "InputLayer" \
        else _arguments_to_keras(class_name, config)
    return {"module": KERAS_MODULES["layer"], "class_name": class_name,
            "config": keras_config, "registered_name": None}


def _tensor_record(tensor, node_index):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(tensor.shape), "dtype": tensor.dtype,
                       "keras_history": [tensor.node.layer.name, node_index[id(tensor.node)],
                                         tensor.index]}}


def _keras_call(node, node_index):
    """One call of a layer (a graph ``Node``) as Keras's ``{"args", "kwargs"}``."""
    def tensors(structure):
        if isinstance(structure, dict):
            return {key: tensors(value) for key, value in structure.items()}
        if isinstance(structure, (list, tuple)):
            return [tensors(item) for item in structure]
        return _tensor_record(structure, node_index)
    return {"args": [tensors(node.inputs)], "kwargs": tensors(node.keywords)}


def _model_to_keras(model, config):
    """A model's ``get_config()`` in Keras's layout; the live ``model`` gives the
    shapes and dtypes Keras records with each tensor of a call."""
    layers = [_layer_record(spec["class_name"], spec["config"],
                            layer if _is_model(layer) else None)
              for spec, layer in zip(config["layers"], _config_layers(model))]
    keras_config = {key: value for key, value in config.items() if key != "layers"}
    if "input_layers" not in config:  # a Sequential: no calls to record
        return {**keras_config, "layers": layers}
    node_index = model.node_indices()
    for record, spec, layer in zip(layers, config["layers"], model.layers):
        record["name"] = spec["name"]
        record["inbound_nodes"] = [_keras_call(node, node_index) for node in model.nodes
                                   if node.layer is layer]
    return {**keras_config, "layers": layers}


def _config_layers(model):
    """The layers in the order of ``model.get_config()["layers"]``."""
    stack = getattr(model, "stack", None)
    if stack is None:
        return model.layers
    return [model.input_tensor.node.layer, *stack] if model.input_tensor is not None \
        else list(stack)


def _is_model(layer):
    return any(isinstance(layer, entry.cls) for entry in registry.entries("model"))


def foreign_layers(model):
    """The class names of ``model``'s layers (nested models' too) that are not
    nnlib's registered layers, which all have a Keras twin: a user's own
    classes, which Keras knows only if the same names are registered there."""
    ours = {entry.cls for entry in registry.entries("layer")} | {InputLayer}
    names = []
    for layer in model.layers:
        if _is_model(layer):
            names += foreign_layers(layer)
        elif type(layer) not in ours:
            names.append(type(layer).__name__)
    return names


def model_to_keras(model):
    """``model``'s architecture as Keras's record (``keras_model.to_json()``'s data),
    with its ``compile_config`` when it is compiled."""
    record = _layer_record(model.class_name(), model.get_config(), model)
    if getattr(model, "compiled", False):
        record["compile_config"] = compile_to_keras(model)
    return record


def compile_to_keras(model):
    """The arguments ``model`` was compiled with (its optimizer as it is now), as
    Keras's ``compile_config``."""
    return to_keras_value(model.get_compile_config())


# -- Keras -> nnlib ---------------------------------------------------------------------------

def _kind_of(record, owner):
    """The nnlib kind of the component a Keras record describes, from its module."""
    module, name = record.get("module"), record["class_name"]
    if not isinstance(module, str) or not (module == "keras" or module.startswith("keras.")):
        raise ValueError(f"{owner}: {name} comes from module {module!r}, not from Keras; "
                         f"nnlib reads Keras's own components only (and imports nothing)")
    words = module.split(".")
    for kind, keras_module in KERAS_MODULES.items():
        if keras_module.rsplit(".", 1)[-1] in words:
            return kind
    if "models" in words or name in MODEL_MODULES:
        return "layer"
    raise ValueError(f"{owner}: {name} from module {module!r} is no kind of component nnlib "
                     f"knows ({', '.join(KERAS_MODULES.values())})")


def _check_registered_name(record, owner):
    registered = record.get("registered_name")
    if registered not in (None, record["class_name"]):
        raise ValueError(f"{owner}: {record['class_name']} is registered in Keras as "
                         f"{registered!r}, a class of another package; nnlib builds its own "
                         f"classes only (pass yours as custom_objects)")


def from_keras_value(value, owner, custom_objects=None):
    """A Keras config value as nnlib writes it; ``owner`` names where it sits, for errors."""
    if isinstance(value, list):
        return [from_keras_value(v, owner, custom_objects) for v in value]
    if not isinstance(value, dict):
        return value
    if "class_name" not in value or "config" not in value:
        return {key: from_keras_value(v, owner, custom_objects) for key, v in value.items()}
    name = value["class_name"]
    if name in DTYPE_POLICIES:
        return value["config"]["name"]
    kind = _kind_of(value, owner)
    _check_registered_name(value, owner)
    if kind == "layer":
        return {"kind": "layer", **layer_from_keras(value, custom_objects)}
    entry = registry.entry_for(kind, name)
    config = _arguments_from_keras(entry.cls, value["config"], f"{owner}: {name}",
                                   custom_objects)
    defaults = _default_config(entry.cls)
    if defaults is not None and {**defaults, **config} == defaults:  # by name, as nnlib
        return entry.aliases[0] if entry.aliases else snake_case(name)  # writes "zeros"
    return {"kind": kind, "class_name": name, "config": config}


def _default_config(cls):
    """The config of ``cls()``, or ``None`` for a class whose arguments have no defaults."""
    try:
        return serialize(cls().get_config())
    except TypeError:
        return None


def _arguments_from_keras(cls, config, owner, custom_objects=None):
    """The keys of a Keras config that ``cls`` takes, translated; Keras-only keys
    must hold a neutral value (``KERAS_ONLY``)."""
    if not isinstance(config, dict):
        raise ValueError(f"{owner}: expected a config dict, got {config!r:.120}")
    accepted = init_arguments(cls)
    arguments = {}
    for key, value in config.items():
        if key in accepted:
            arguments[key] = from_keras_value(value, owner, custom_objects)
        elif key in KERAS_ONLY:
            if not _is_neutral(value, KERAS_ONLY[key]):
                _refuse(owner, repr(key), value, KERAS_ONLY[key])
        elif key not in KERAS_DERIVED:
            raise ValueError(f"{owner}: Keras's config has {key!r}={value!r:.120}, an "
                             f"argument nnlib's {cls.__name__} does not take")
    return arguments


def _input_layer_from_keras(config, owner):
    config = dict(config)
    batch_shape = config.pop("batch_shape", None)
    if batch_shape is not None:
        config["batch_size"], *shape = batch_shape
        config["shape"] = shape
    return _arguments_from_keras(InputLayer, config, owner)


def layer_from_keras(record, custom_objects=None):
    """Keras's record of a layer (or model) as nnlib's ``{"class_name", "config"}``."""
    if not isinstance(record, dict) or not isinstance(record.get("class_name"), str) or \
            not isinstance(record.get("config"), dict):
        raise ValueError(f'a Keras layer record is {{"module", "class_name": a string, '
                         f'"config": a dict, ...}}, got {record!r:.200}')
    name = record["class_name"]
    owner = f"{name} '{record['config'].get('name', '?')}'"
    custom = name in (custom_objects or {})
    if not custom:
        _kind_of(record, owner)
        _check_registered_name(record, owner)
    try:
        cls = layer_class(name, custom_objects)
    except ValueError:
        raise ValueError(f"{owner}: Keras's {name} has no nnlib twin (no registered layer "
                         f"of that name); nnlib cannot build it") from None
    if cls is InputLayer:
        config = _input_layer_from_keras(record["config"], owner)
    elif _is_model_class(cls):
        config = _model_from_keras(record["config"], owner, custom_objects)
    else:
        config = _arguments_from_keras(cls, record["config"], owner, custom_objects)
    return {"class_name": name, "config": config}


def _is_model_class(cls):
    return any(issubclass(cls, entry.cls) for entry in registry.entries("model"))


def _history(record, owner):
    """The ``[layer_name, node_index, tensor_index]`` of a ``__keras_tensor__`` record."""
    if not (isinstance(record, dict) and record.get("class_name") == "__keras_tensor__"
            and isinstance(record.get("config"), dict)):
        raise ValueError(f"{owner}: expected a tensor ({{'class_name': '__keras_tensor__', "
                         f"...}}) in a call, got {record!r:.120}")
    history = record["config"].get("keras_history")
    if not (isinstance(history, list) and len(history) == 3):
        raise ValueError(f"{owner}: a tensor's keras_history must be [layer_name, "
                         f"node_index, tensor_index], got {history!r:.120}")
    return history


def _has_tensor(structure):
    if isinstance(structure, list):
        return any(map(_has_tensor, structure))
    if isinstance(structure, dict):
        return structure.get("class_name") == "__keras_tensor__" or \
            any(map(_has_tensor, structure.values()))
    return False


def _refs(structure, owner):
    """A structure of Keras tensor records as one of nnlib's references."""
    if isinstance(structure, list):
        return [_refs(item, owner) for item in structure]
    if isinstance(structure, dict) and structure.get("class_name") != "__keras_tensor__":
        return {key: _refs(value, owner) for key, value in structure.items()}
    return _history(structure, owner)


def _call_from_keras(call, owner):
    """Keras's ``{"args", "kwargs"}`` as nnlib's call: the list of tensors read
    (``[[layer, node, index], ...]``), or ``{"args", "kwargs"}`` with tensor keywords."""
    if isinstance(call, list):  # Keras's older layout is nnlib's
        return call
    if not (isinstance(call, dict) and isinstance(call.get("args"), list)
            and isinstance(call.get("kwargs", {}), dict)):
        raise ValueError(f"{owner}: a call is {{'args': [...], 'kwargs': {{...}}}}, got "
                         f"{call!r:.120}")
    if len(call["args"]) != 1:
        raise ValueError(f"{owner}: a call with {len(call['args'])} positional arguments; "
                         f"nnlib's layers take their input(s) as one argument")
    kwargs = {}
    for key, value in call.get("kwargs", {}).items():
        if key in KERAS_CALL_ONLY and not _has_tensor(value):
            if not _is_neutral(value, KERAS_CALL_ONLY[key]):
                _refuse(owner, f"call argument {key!r}", value, KERAS_CALL_ONLY[key])
        else:
            kwargs[key] = _refs(value, owner)
    inputs = _refs(call["args"][0], owner)
    args = inputs if isinstance(inputs, list) and (not inputs or isinstance(inputs[0], list)) \
        else [inputs]
    return {"args": args, "kwargs": kwargs} if kwargs else args


def _model_from_keras(config, owner, custom_objects):
    """A Functional or Sequential config, its layers and calls translated."""
    config = dict(config)
    layers = config.pop("layers", None)
    if not isinstance(layers, list):
        raise ValueError(f"{owner}: a model's config lists its 'layers', got {layers!r:.120}")
    dtype = from_keras_value(config.pop("dtype", "float32"), owner)
    if dtype != "float32":
        raise ValueError(f"{owner}: the model's dtype is {dtype!r}; nnlib reads float32 "
                         f"models")
    translated = []
    for record in layers:
        spec = layer_from_keras(record, custom_objects)
        if "inbound_nodes" in record:
            layer_owner = f"{owner}, layer '{record.get('name')}'"
            spec = {"class_name": spec["class_name"], "name": record.get("name"),
                    "config": spec["config"],
                    "inbound_nodes": [_call_from_keras(call, layer_owner)
                                      for call in record["inbound_nodes"]]}
        translated.append(spec)
    known = ("name", "trainable", "input_layers", "output_layers")
    extra = sorted(set(config) - set(known) - set(KERAS_DERIVED))
    if extra:
        raise ValueError(f"{owner}: the model's config has keys {extra} nnlib does not know")
    return {**{key: config[key] for key in known if key in config}, "layers": translated}


def model_from_keras(record, custom_objects=None):
    """Keras's model record (``to_json()``'s data) as nnlib's
    ``{"class_name", "config", "compile_config"}`` (see ``nnlib.saving``)."""
    spec = layer_from_keras(record, custom_objects)
    compile_config = record.get("compile_config") or None
    if compile_config is not None:
        compile_config = compile_from_keras(compile_config)
    return {**spec, "compile_config": compile_config}


def compile_from_keras(config):
    """Keras's ``compile_config`` as the arguments of nnlib's ``compile``
    (serialized); Keras-only keys must be neutral (``KERAS_ONLY``)."""
    if not isinstance(config, dict):
        raise ValueError(f"compile_config must be a dict, got {config!r:.120}")
    arguments = {}
    for key, value in config.items():
        if key in COMPILE_KEYS:
            arguments[key] = from_keras_value(value, f"compile ({key})")
        elif key in KERAS_ONLY:
            if not _is_neutral(value, KERAS_ONLY[key]):
                _refuse("compile", repr(key), value, KERAS_ONLY[key])
        else:
            raise ValueError(f"compile: Keras's compile_config has {key!r}, an argument "
                             f"nnlib's compile does not take")
    return arguments
