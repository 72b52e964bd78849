namespace Platform.Billing.Tests;

/// <summary>A clock the test moves by hand, so periods can end without waiting a month.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
