namespace Platform.Data.Artifacts.Encryption;

/// <summary>One version of a tenant's data key, unwrapped (32 bytes for AES-256). Never logged, never stored in the clear.</summary>
public sealed record TenantDataKey(int Version, byte[] Key)
{
    public override string ToString() => $"TenantDataKey {{ Version = {Version} }}";
}
