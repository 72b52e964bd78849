using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Platform.Training.SafeTensors;

/// <summary>One named tensor: dtype, shape and its little-endian bytes.</summary>
public sealed class SafeTensor
{
    public SafeTensor(string name, SafeTensorsDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var count = ElementCountOf(shape, name);
        if (count * dtype.ElementSize() != data.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype.Name()} needs {count * dtype.ElementSize()} bytes, got {data.Length}");
        }

        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }
    public SafeTensorsDType DType { get; }
    public long[] Shape { get; }
    public ReadOnlyMemory<byte> Data { get; }
    public long ElementCount => ElementCountOf(Shape, Name);

    public static SafeTensor FromFloat32(string name, long[] shape, ReadOnlySpan<float> values) =>
        new(name, SafeTensorsDType.F32, shape, ToLittleEndianBytes(values));

    public static SafeTensor FromInt64(string name, long[] shape, ReadOnlySpan<long> values) =>
        new(name, SafeTensorsDType.I64, shape, ToLittleEndianBytes(values));

    /// <summary>Values as float32, widening F16 and BF16.</summary>
    public float[] ToFloat32()
    {
        var span = Data.Span;
        var result = new float[ElementCount];
        switch (DType)
        {
            case SafeTensorsDType.F32:
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..]);
                }

                break;
            case SafeTensorsDType.F16:
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(span[(i * 2)..]);
                }

                break;
            case SafeTensorsDType.BF16:
                for (var i = 0; i < result.Length; i++)
                {
                    // bfloat16 is the upper half of a float32.
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span[(i * 2)..]) << 16);
                }

                break;
            case SafeTensorsDType.F64:
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]);
                }

                break;
            default:
                throw new InvalidDataException($"tensor '{Name}' is {DType.Name()}, not a floating-point tensor");
        }

        return result;
    }

    public long[] ToInt64()
    {
        if (DType != SafeTensorsDType.I64)
        {
            throw new InvalidDataException($"tensor '{Name}' is {DType.Name()}, not I64");
        }

        var span = Data.Span;
        var result = new long[ElementCount];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(i * 8)..]);
        }

        return result;
    }

    private static byte[] ToLittleEndianBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors writing assumes a little-endian machine");
        }

        return MemoryMarshal.AsBytes(values).ToArray();
    }

    internal static long ElementCountOf(long[] shape, string name)
    {
        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new InvalidDataException($"tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}]");
            }

            count = checked(count * dimension);
        }

        return count;
    }
}
