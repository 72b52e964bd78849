namespace Platform.Domain.Billing;

/// <summary>
/// The part of a billing period one plan was in force, with the metered seconds whose segments ended
/// inside it, by device kind ("cuda", "cpu").
/// FeeWaiver names why an interval carries no fee ("trial", "after cancellation"); its included hours still apply.
/// </summary>
public sealed record PlanInterval(Plan Plan, DateTimeOffset From, DateTimeOffset To, long GpuSeconds, long CpuSeconds,
    string? FeeWaiver = null)
{
    public long Seconds(string deviceKind) => deviceKind == DeviceClass.Gpu ? GpuSeconds : CpuSeconds;
}
