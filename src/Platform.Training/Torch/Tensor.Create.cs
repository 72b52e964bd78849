using System.Runtime.InteropServices;

namespace Platform.Training.Torch;

public sealed partial class Tensor
{
    public static Tensor FromSpan(ReadOnlySpan<float> data, ReadOnlySpan<long> shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data), data.Length, shape, ScalarType.Float32, device);

    public static Tensor FromSpan(ReadOnlySpan<long> data, ReadOnlySpan<long> shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data), data.Length, shape, ScalarType.Int64, device);

    public static Tensor FromSpan(ReadOnlySpan<int> data, ReadOnlySpan<long> shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data), data.Length, shape, ScalarType.Int32, device);

    public static Tensor FromSpan(ReadOnlySpan<double> data, ReadOnlySpan<long> shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data), data.Length, shape, ScalarType.Float64, device);

    /// <summary>bfloat16 values given as their raw 16-bit patterns (the safetensors BF16 layout).</summary>
    public static Tensor FromBFloat16Bits(ReadOnlySpan<ushort> data, ReadOnlySpan<long> shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data), data.Length, shape, ScalarType.BFloat16, device);

    /// <summary>Raw little-endian element bytes of the given type, e.g. straight from a safetensors file.</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> bytes, long count, ReadOnlySpan<long> shape, ScalarType dtype, Device? device = null)
    {
        var dims = shape.ToArray();
        long expected = 1;
        foreach (var d in dims) expected *= d;
        if (expected != count) throw new ArgumentException($"shape [{string.Join(", ", dims)}] needs {expected} elements, got {count}");
        if (bytes.Length != count * dtype.ElementSize()) throw new ArgumentException($"{bytes.Length} bytes do not hold {count} {dtype} elements");
        var d0 = device ?? Device.Cpu;
        // A zero-length span may have a null pointer; libtorch's from_blob accepts that for numel 0.
        fixed (byte* p = bytes)
        {
            return new Tensor(NativeMethods.pt_tensor_from_data(p, dims, dims.Length, (int)dtype, (int)d0.Type, d0.Index));
        }
    }

    public static Tensor Zeros(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        var dims = shape.ToArray();
        return new Tensor(NativeMethods.pt_tensor_zeros(dims, dims.Length, (int)dtype, (int)d.Type, d.Index));
    }

    /// <summary>Uninitialised storage is never handed out: this is zeros, to be filled by an init op.</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Zeros(shape, dtype, device);

    public static Tensor Ones(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        var dims = shape.ToArray();
        return new Tensor(NativeMethods.pt_tensor_ones(dims, dims.Length, (int)dtype, (int)d.Type, d.Index));
    }

    public static Tensor Full(ReadOnlySpan<long> shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        var dims = shape.ToArray();
        return new Tensor(NativeMethods.pt_tensor_full(dims, dims.Length, value, (int)dtype, (int)d.Type, d.Index));
    }

    public static Tensor Randn(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        var dims = shape.ToArray();
        return new Tensor(NativeMethods.pt_tensor_randn(dims, dims.Length, (int)dtype, (int)d.Type, d.Index, Generator.CurrentHandle));
    }

    public static Tensor Rand(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        var dims = shape.ToArray();
        return new Tensor(NativeMethods.pt_tensor_rand(dims, dims.Length, (int)dtype, (int)d.Type, d.Index, Generator.CurrentHandle));
    }

    public static Tensor RandInt(long low, long high, ReadOnlySpan<long> shape, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        var dims = shape.ToArray();
        return new Tensor(NativeMethods.pt_tensor_randint(low, high, dims, dims.Length, (int)ScalarType.Int64, (int)d.Type, d.Index, Generator.CurrentHandle));
    }

    public static Tensor Arange(long end, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return new Tensor(NativeMethods.pt_tensor_arange(end, (int)dtype, (int)d.Type, d.Index));
    }

    /// <summary>A random permutation of 0..n-1 drawn from the current <see cref="Generator"/> (libtorch's default one when none is active).</summary>
    public static Tensor RandPerm(long n, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return new Tensor(NativeMethods.pt_tensor_randperm(n, (int)d.Type, d.Index, Generator.CurrentHandle));
    }

    public float[] ToFloatArray() => ToArray<float>(ScalarType.Float32);

    public long[] ToInt64Array() => ToArray<long>(ScalarType.Int64);

    public int[] ToInt32Array() => ToArray<int>(ScalarType.Int32);

    public ushort[] ToBFloat16Bits() => ToArray<ushort>(ScalarType.BFloat16);

    /// <summary>Copies the elements (converted to <paramref name="dtype"/>, moved to CPU) into raw bytes.</summary>
    public unsafe void CopyTo(Span<byte> destination, ScalarType dtype)
    {
        var count = NumberOfElements;
        if (destination.Length != count * dtype.ElementSize()) throw new ArgumentException($"destination holds {destination.Length} bytes, tensor needs {count * dtype.ElementSize()}");
        fixed (byte* p = destination)
        {
            NativeMethods.Check(NativeMethods.pt_tensor_copy_to(Handle, p, count, (int)dtype));
        }
    }

    private T[] ToArray<T>(ScalarType dtype) where T : unmanaged
    {
        var result = new T[NumberOfElements];
        CopyTo(MemoryMarshal.AsBytes(result.AsSpan()), dtype);
        return result;
    }
}
