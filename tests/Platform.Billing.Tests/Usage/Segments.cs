using Platform.Domain.Usage;

namespace Platform.Billing.Tests.Usage;

internal static class Segments
{
    /// <summary>A closed segment of <paramref name="seconds"/> (plus a part second the ledger must drop) ending at <paramref name="end"/>.</summary>
    public static UsageSegment Make(Guid tenantId, DateTimeOffset end, long seconds, string device = "cuda", Guid? job = null,
        int attempt = 1, int segment = 1) =>
        new(tenantId, job ?? Guid.NewGuid(), attempt, segment, Guid.NewGuid(), device,
            end.AddSeconds(-seconds).AddMilliseconds(-400), end);
}
