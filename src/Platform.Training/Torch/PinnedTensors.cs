namespace Platform.Training.Torch;

/// <summary>
/// The raw handles of a list of tensors, for a native call that takes an array of them. Raw pointers
/// bypass the SafeHandle marshaller, so each handle is kept alive (AddRef) until this is disposed.
/// </summary>
internal sealed class PinnedTensors : IDisposable
{
    private readonly IReadOnlyList<Tensor> _tensors;
    private readonly bool[] _added;

    public PinnedTensors(IReadOnlyList<Tensor> tensors)
    {
        _tensors = tensors;
        _added = new bool[tensors.Count];
        Raw = new IntPtr[tensors.Count];
        try
        {
            for (var i = 0; i < Raw.Length; i++)
            {
                tensors[i].Handle.DangerousAddRef(ref _added[i]);
                Raw[i] = tensors[i].Handle.DangerousGetHandle();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IntPtr[] Raw { get; }

    public void Dispose()
    {
        for (var i = 0; i < _added.Length; i++)
        {
            if (_added[i]) _tensors[i].Handle.DangerousRelease();
            _added[i] = false;
        }
    }
}
