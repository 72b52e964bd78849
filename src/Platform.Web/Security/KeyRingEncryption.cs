using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts.Encryption;

namespace Platform.Web.Security;

/// <summary>
/// The data-protection key ring (the keys behind sign-in cookies, antiforgery tokens and Blazor's
/// circuit state) is stored encrypted by the platform's master key, as tenant data keys are
/// (docs/security.md): each key's XML is sealed by <see cref="IMasterKey"/> (Storage:MasterKey, or a KMS),
/// so a copy of DataProtection:KeysPath, or of a backup of it, is no use without the master key.
/// Keys written before this was in place stay readable as they are until they expire.
/// </summary>
internal static class KeyRingEncryption
{
    /// <summary>Binds each sealed key to its purpose: a sealed tenant data key does not open here, nor this there.</summary>
    internal static readonly byte[] Context = Encoding.UTF8.GetBytes("platform:data-protection-key-ring");

    public static IServiceCollection EncryptKeyRingWithMasterKey(this IServiceCollection services)
    {
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlEncryptor = new MasterKeyXmlEncryptor(sp.GetRequiredService<IMasterKey>())));
        return services;
    }
}

/// <summary>Seals a key's XML with the master key; <see cref="MasterKeyXmlDecryptor"/> opens it.</summary>
internal sealed class MasterKeyXmlEncryptor(IMasterKey masterKey) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plain = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        // The key manager calls this synchronously and rarely (a new key every 90 days, or on first start).
        var wrapped = masterKey.WrapAsync(plain, KeyRingEncryption.Context, CancellationToken.None).GetAwaiter().GetResult();
        var element = new XElement("sealedByMasterKey",
            new XAttribute("masterKeyId", wrapped.MasterKeyId),
            new XComment(" The data-protection key, sealed by the platform's master key (Storage:MasterKey). "),
            Convert.ToBase64String(wrapped.Bytes));
        return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>Created by the key manager from the type name stored beside each sealed key, with the app's services.</summary>
internal sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var masterKey = services.GetRequiredService<IMasterKey>();
        var id = (string?)encryptedElement.Attribute("masterKeyId")
                 ?? throw new InvalidOperationException("A sealed data-protection key names no master key.");
        var plain = masterKey.UnwrapAsync(new WrappedKey(id, Convert.FromBase64String(encryptedElement.Value.Trim())),
            KeyRingEncryption.Context, CancellationToken.None).GetAwaiter().GetResult();
        return XElement.Parse(Encoding.UTF8.GetString(plain));
    }
}
