using Platform.Training.SafeTensors;

namespace Platform.Training.Torch;

/// <summary>Moves tensors between libtorch and safetensors files (model weights, optimiser state).</summary>
public static class TensorFiles
{
    /// <summary>Every tensor in the file, created on <paramref name="device"/>; the caller owns (disposes) them.</summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null) =>
        FromSafeTensors(SafeTensorsFile.Read(path), device);

    public static Dictionary<string, Tensor> FromSafeTensors(SafeTensorsFile file, Device? device = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var t in file.Tensors)
            {
                result[t.Name] = Tensor.FromBytes(t.Data.Span, t.ElementCount, t.Shape, ToScalarType(t.DType, t.Name), device).DetachFromDisposeScope();
            }
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Writes the tensors (in their own dtype, copied to CPU) atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.Write(path, ToSafeTensors(tensors), metadata);

    public static IEnumerable<SafeTensor> ToSafeTensors(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        foreach (var (name, tensor) in tensors)
        {
            var dtype = tensor.DType;
            var bytes = new byte[tensor.NumberOfElements * dtype.ElementSize()];
            tensor.CopyTo(bytes, dtype);
            yield return new SafeTensor(name, ToSafeTensorsDType(dtype), tensor.Shape, bytes);
        }
    }

    private static ScalarType ToScalarType(SafeTensorsDType dtype, string name) => dtype switch
    {
        SafeTensorsDType.F32 => ScalarType.Float32,
        SafeTensorsDType.F16 => ScalarType.Float16,
        SafeTensorsDType.BF16 => ScalarType.BFloat16,
        SafeTensorsDType.F64 => ScalarType.Float64,
        SafeTensorsDType.I64 => ScalarType.Int64,
        SafeTensorsDType.I32 => ScalarType.Int32,
        SafeTensorsDType.U8 => ScalarType.Byte,
        SafeTensorsDType.Bool => ScalarType.Bool,
        _ => throw new InvalidDataException($"tensor '{name}': dtype {dtype.Name()} is not supported"),
    };

    private static SafeTensorsDType ToSafeTensorsDType(ScalarType type) => type switch
    {
        ScalarType.Float32 => SafeTensorsDType.F32,
        ScalarType.Float16 => SafeTensorsDType.F16,
        ScalarType.BFloat16 => SafeTensorsDType.BF16,
        ScalarType.Float64 => SafeTensorsDType.F64,
        ScalarType.Int64 => SafeTensorsDType.I64,
        ScalarType.Int32 => SafeTensorsDType.I32,
        ScalarType.Byte => SafeTensorsDType.U8,
        ScalarType.Bool => SafeTensorsDType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
