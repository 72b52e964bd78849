namespace Platform.Data.Tests;

/// <summary>A clock the test moves by hand, so expiry is tested without waiting.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
