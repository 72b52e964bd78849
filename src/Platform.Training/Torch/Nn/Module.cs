namespace Platform.Training.Torch.Nn;

/// <summary>
/// A layer or model: named parameters (trainable), named buffers (e.g. batch-norm running stats)
/// and child modules, with dotted names as PyTorch's state_dict so checkpoints interoperate.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> buffers = [];
    private readonly List<KeyValuePair<string, Module>> children = [];
    private bool disposed;

    public bool Training { get; private set; } = true;

    protected Tensor RegisterParameter(string name, Tensor tensor)
    {
        tensor.DetachFromDisposeScope();
        tensor.RequiresGrad = true;
        parameters.Add(new(name, tensor));
        return tensor;
    }

    protected Tensor RegisterBuffer(string name, Tensor tensor)
    {
        tensor.DetachFromDisposeScope();
        buffers.Add(new(name, tensor));
        return tensor;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        children.Add(new(name, module));
        return module;
    }

    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix = "")
    {
        foreach (var (name, tensor) in parameters) yield return new(prefix + name, tensor);
        foreach (var (name, child) in children)
        {
            foreach (var item in child.NamedParameters(prefix + name + ".")) yield return item;
        }
    }

    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix = "")
    {
        foreach (var (name, tensor) in buffers) yield return new(prefix + name, tensor);
        foreach (var (name, child) in children)
        {
            foreach (var item in child.NamedBuffers(prefix + name + ".")) yield return item;
        }
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Parameters then buffers by their PyTorch names. The tensors are the live ones: do not dispose them.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in NamedParameters()) state[name] = tensor;
        foreach (var (name, tensor) in NamedBuffers()) state[name] = tensor;
        return state;
    }

    /// <summary>
    /// Copies values in (converting dtype and device). Strict: every name must be present with the
    /// same shape and no extra names may remain, so a mismatched checkpoint fails loudly.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
    {
        var own = StateDict();
        var problems = new List<string>();
        foreach (var (name, target) in own)
        {
            if (!source.TryGetValue(name, out var value))
            {
                if (strict) problems.Add($"missing tensor '{name}'");
                continue;
            }
            var expected = target.Shape;
            var actual = value.Shape;
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                problems.Add($"tensor '{name}' has shape [{string.Join(", ", actual)}], model expects [{string.Join(", ", expected)}]");
            }
        }
        if (strict) problems.AddRange(source.Keys.Where(k => !own.ContainsKey(k)).Select(k => $"unexpected tensor '{k}'"));
        if (problems.Count > 0) throw new InvalidDataException("state dict does not match the model: " + string.Join("; ", problems));

        using var noGrad = Torch.NoGrad();
        foreach (var (name, target) in own)
        {
            if (source.TryGetValue(name, out var value)) target.Copy_(value);
        }
    }

    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in children) child.Train(training);
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Moves every parameter and buffer to <paramref name="device"/>, keeping tensor identities.</summary>
    public Module To(Device device)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var tensor in StateDict().Values)
        {
            if (tensor.Device == device) continue;
            using var moved = tensor.To(device);
            tensor.SetData(moved);
        }
        return this;
    }

    /// <summary>
    /// Converts floating-point parameters and buffers to <paramref name="dtype"/> (e.g. bfloat16 for
    /// GPU inference); integer buffers such as num_batches_tracked keep their type.
    /// </summary>
    public Module To(ScalarType dtype)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var tensor in StateDict().Values)
        {
            var current = tensor.DType;
            if (current == dtype || current is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16)) continue;
            using var converted = tensor.To(dtype);
            tensor.SetData(converted);
        }
        return this;
    }

    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, tensor) in parameters) tensor.Dispose();
        foreach (var (_, tensor) in buffers) tensor.Dispose();
        foreach (var (_, child) in children) child.Dispose();
        GC.SuppressFinalize(this);
    }
}
