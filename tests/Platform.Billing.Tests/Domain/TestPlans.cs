using Platform.Domain.Billing;

namespace Platform.Billing.Tests.Domain;

internal static class TestPlans
{
    /// <summary>$100 a month, 10 GPU hours and 20 CPU hours included, $2.50/GPU-hour and $0.10/CPU-hour over.</summary>
    public static Plan Starter(CapMode mode = CapMode.Hard) => new(Guid.NewGuid(), "starter-" + Guid.NewGuid().ToString("N")[..8],
        "Starter", "USD", 100m, 10m, 20m, 2.50m, 0.10m, 2, 1_000_000_000, 10_000_000_000, mode);

    public static Plan Growth(CapMode mode = CapMode.Soft) => new(Guid.NewGuid(), "growth-" + Guid.NewGuid().ToString("N")[..8],
        "Growth", "USD", 400m, 50m, 100m, 2.00m, 0.08m, 8, 10_000_000_000, 100_000_000_000, mode);
}
