using Platform.Billing.Stripe;

namespace Platform.Billing.Tests.Stripe;

public sealed class StripeSignatureTests
{
    private const string Secret = "whsec_test_secret";
    private const string Body = """{"id":"evt_1","object":"event"}""";
    private static readonly DateTimeOffset Now = new(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    [Fact]
    public void Verify_SignedByStripeScheme_IsValid()
    {
        Assert.Null(StripeSignature.Verify(StripeStandIn.SignatureHeader(Body, Now, Secret), Body, Secret, Now, Tolerance));
    }

    [Fact]
    public void Verify_SecondOfSeveralV1Matches_IsValid()
    {
        var header = StripeStandIn.SignatureHeader(Body, Now, "whsec_old", Secret) + ",v0=deadbeef";
        Assert.Null(StripeSignature.Verify(header, Body, Secret, Now, Tolerance));
    }

    [Fact]
    public void Verify_WrongSecretOrChangedBody_IsRejected()
    {
        Assert.NotNull(StripeSignature.Verify(StripeStandIn.SignatureHeader(Body, Now, "whsec_other"), Body, Secret, Now, Tolerance));
        Assert.NotNull(StripeSignature.Verify(StripeStandIn.SignatureHeader(Body, Now, Secret), Body + " ", Secret, Now, Tolerance));
    }

    [Fact]
    public void Verify_TimestampAtAndBeyondTolerance_AcceptsThenRejects()
    {
        Assert.Null(StripeSignature.Verify(StripeStandIn.SignatureHeader(Body, Now.AddSeconds(-300), Secret), Body, Secret, Now, Tolerance));
        Assert.Equal("The signature's timestamp is outside the tolerance.",
            StripeSignature.Verify(StripeStandIn.SignatureHeader(Body, Now.AddSeconds(-301), Secret), Body, Secret, Now, Tolerance));
    }

    [Fact]
    public void Verify_MissingOrMalformedHeader_IsRejected()
    {
        Assert.NotNull(StripeSignature.Verify(null, Body, Secret, Now, Tolerance));
        Assert.NotNull(StripeSignature.Verify("v1=abc", Body, Secret, Now, Tolerance));
        Assert.NotNull(StripeSignature.Verify($"t={Now.ToUnixTimeSeconds()}", Body, Secret, Now, Tolerance));
    }
}
