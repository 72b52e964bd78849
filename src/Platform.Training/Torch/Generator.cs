namespace Platform.Training.Torch;

/// <summary>
/// A random generator of one run: weight initialisation, dropout and every random tensor drawn while
/// it is active (<see cref="Activate"/>) come from it instead of libtorch's one process-wide generator,
/// so two runs side by side in one worker (two slots) draw exactly what each would draw alone, and a
/// checkpoint of its <see cref="GetState"/> replays a resumed run exactly.
/// </summary>
/// <remarks>
/// The active generator flows with the async context (like a <see cref="DisposeScope"/> flows with its
/// thread), so it follows a run onto the threads its awaits resume on and never leaks to another run.
/// It covers draws on the CPU; a tensor on a GPU draws from that device's generator, which the run
/// seeds (<see cref="Torch.ManualSeed(ulong, Device)"/>) and owns while its slot owns the device.
/// </remarks>
public sealed class Generator : IDisposable
{
    private static readonly AsyncLocal<Generator?> Active = new();

    private IntPtr _handle;

    public Generator(ulong seed)
    {
        _handle = NativeMethods.pt_generator_new(seed);
        if (_handle == IntPtr.Zero)
            throw NativeMethods.Error();
    }

    /// <summary>The generator random draws on this async flow use; null: libtorch's default one.</summary>
    public static Generator? Current => Active.Value;

    internal static IntPtr CurrentHandle => Active.Value is { } generator ? generator.Handle : IntPtr.Zero;

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Generator));

    /// <summary>Makes this the generator of the calling flow until the returned scope is disposed.</summary>
    public IDisposable Activate()
    {
        _ = Handle;
        var previous = Active.Value;
        Active.Value = this;
        return new Restore(previous);
    }

    /// <summary>The generator's state (a byte array), for checkpoints.</summary>
    public byte[] GetState()
    {
        using var state = new Tensor(NativeMethods.pt_generator_get_state(Handle));
        var bytes = new byte[state.NumberOfElements];
        state.CopyTo(bytes, ScalarType.Byte);
        return bytes;
    }

    public void SetState(ReadOnlySpan<byte> state)
    {
        using var tensor = Tensor.FromBytes(state, state.Length, [state.Length], ScalarType.Byte);
        NativeMethods.Check(NativeMethods.pt_generator_set_state(Handle, tensor.Handle));
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero)
            return;
        NativeMethods.pt_generator_free(_handle);
        _handle = IntPtr.Zero;
    }

    private sealed class Restore(Generator? previous) : IDisposable
    {
        public void Dispose() => Active.Value = previous;
    }
}
