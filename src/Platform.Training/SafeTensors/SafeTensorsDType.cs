namespace Platform.Training.SafeTensors;

public enum SafeTensorsDType
{
    Bool,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

public static class SafeTensorsDTypes
{
    public static int ElementSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.U8 or SafeTensorsDType.I8 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        _ => 8,
    };

    /// <summary>The spelling of the format ("F32", "BF16", "BOOL").</summary>
    public static string Name(this SafeTensorsDType dtype) =>
        dtype == SafeTensorsDType.Bool ? "BOOL" : dtype.ToString();

    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        if (name == "BOOL")
        {
            dtype = SafeTensorsDType.Bool;
            return true;
        }

        // Enum.TryParse also accepts numbers and other casings, which the format does not.
        foreach (var candidate in Enum.GetValues<SafeTensorsDType>())
        {
            if (candidate != SafeTensorsDType.Bool && candidate.ToString() == name)
            {
                dtype = candidate;
                return true;
            }
        }

        dtype = default;
        return false;
    }
}
