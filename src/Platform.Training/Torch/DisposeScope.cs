namespace Platform.Training.Torch;

/// <summary>
/// Frees every tensor created on this thread while the scope is the innermost one, unless it was
/// moved out (<see cref="Tensor.MoveToOuterScope"/>) or detached. Scopes nest.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly HashSet<Tensor> tensors = new(ReferenceEqualityComparer.Instance);
    private bool disposed;

    internal DisposeScope()
    {
        Parent = current;
        current = this;
    }

    internal static DisposeScope? Current => current;

    internal DisposeScope? Parent { get; }

    public int Count => tensors.Count;

    internal void Attach(Tensor tensor) => tensors.Add(tensor);

    internal void Detach(Tensor tensor) => tensors.Remove(tensor);

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        var owned = tensors.ToArray();
        tensors.Clear();
        foreach (var tensor in owned) tensor.Dispose();
        // Scopes are disposed innermost first; if one is leaked, still restore its parent.
        if (ReferenceEquals(current, this)) current = Parent;
    }
}
