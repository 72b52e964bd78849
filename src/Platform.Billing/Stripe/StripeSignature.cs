using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Billing.Stripe;

/// <summary>
/// Stripe's webhook signature: header "t=TIMESTAMP,v1=HEX[,v1=HEX...][,v0=...]"; each v1 is
/// HMAC-SHA256(secret, "{t}.{body}") in lower-case hex. Several v1 appear while a secret is being
/// rolled; any one matching is enough. Other schemes (v0) are ignored. A timestamp further than the
/// tolerance from now is refused, so a captured request cannot be replayed later.
/// </summary>
public static class StripeSignature
{
    public static string Sign(string secret, long timestamp, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + body));
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>The header Stripe would send for <paramref name="body"/> (the test stand-in uses it).</summary>
    public static string Header(string secret, long timestamp, string body) =>
        $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Sign(secret, timestamp, body)}";

    /// <summary>Null when the signature is valid and fresh; otherwise why not (never echoing the expected value).</summary>
    public static string? Verify(string? header, string body, string secret, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrWhiteSpace(header))
            return "Missing Stripe-Signature header.";
        long? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2)
                continue;
            var key = pair[0].Trim();
            if (key == "t" && long.TryParse(pair[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                timestamp = t;
            else if (key == "v1")
                signatures.Add(pair[1].Trim());
        }
        if (timestamp is null)
            return "The Stripe-Signature header has no timestamp.";
        if (signatures.Count == 0)
            return "The Stripe-Signature header has no v1 signature.";
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp.Value, body));
        // Fixed-time comparison: the time taken must not reveal how many leading characters matched.
        var match = signatures.Any(s => CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(s)));
        if (!match)
            return "No signature matches the payload.";
        var age = now - DateTimeOffset.FromUnixTimeSeconds(timestamp.Value);
        if (age.Duration() > tolerance)
            return "The signature's timestamp is outside the tolerance.";
        return null;
    }
}
