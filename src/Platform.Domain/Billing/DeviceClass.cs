namespace Platform.Domain.Billing;

/// <summary>The device classes billing prices separately; the names match the metering's device kinds.</summary>
public static class DeviceClass
{
    public const string Gpu = "cuda";
    public const string Cpu = "cpu";

    public static bool IsKnown(string deviceKind) => deviceKind is Gpu or Cpu;

    public static string Label(string deviceKind) => deviceKind == Gpu ? "GPU" : "CPU";
}
