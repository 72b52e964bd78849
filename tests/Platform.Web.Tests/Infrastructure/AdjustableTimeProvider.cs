namespace Platform.Web.Tests.Infrastructure;

/// <summary>Real time plus an offset the test moves forward, e.g. past an invitation's expiry.</summary>
public sealed class AdjustableTimeProvider : TimeProvider
{
    private TimeSpan _offset;

    public void Advance(TimeSpan by) => _offset += by;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;
}
