namespace Platform.Training.Torch;

public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
}

public readonly record struct Device(DeviceType Type, int Index = 0)
{
    public static Device Cpu { get; } = new(DeviceType.Cpu);

    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>"cpu", "cuda", "cuda:1" or "auto" (CUDA when a GPU is present).</summary>
    public static Device Parse(string text)
    {
        var value = text.Trim().ToLowerInvariant();
        if (value == "cpu") return Cpu;
        if (value == "auto") return Torch.CudaIsAvailable ? Cuda() : Cpu;
        if (value == "cuda") return Cuda();
        if (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value[5..], out var index)) return Cuda(index);
        throw new ArgumentException($"unknown device '{text}' (expected cpu, cuda, cuda:N or auto)", nameof(text));
    }

    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
