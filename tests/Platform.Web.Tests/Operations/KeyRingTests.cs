using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Operations;

/// <summary>The data-protection key ring on disk is sealed by the master key: a copy of the folder alone opens nothing.</summary>
public sealed class KeyRingTests
{
    [Fact]
    public async Task KeyRing_OnDisk_IsSealedByTheMasterKey_AndOnlyAnInstanceWithThatKeyReadsIt()
    {
        var keys = Directory.CreateTempSubdirectory("platform-key-ring-").FullName;
        var masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        try
        {
            var token = await WithPortalAsync(keys, masterKey, portal => Protector(portal).Protect("a circuit's state"));
            var xml = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(keys, "key-*.xml")));

            Assert.Contains("encryptedSecret", xml);
            Assert.Contains("sealedByMasterKey", xml);
            Assert.DoesNotContain("<value>", xml);
            Assert.Equal("a circuit's state", await WithPortalAsync(keys, masterKey, portal => Protector(portal).Unprotect(token)));
            await WithPortalAsync(keys, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                portal => Assert.ThrowsAny<CryptographicException>(() => Protector(portal).Unprotect(token)));
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    private static async Task<T> WithPortalAsync<T>(string keys, string masterKey, Func<PortalFactory, T> use)
    {
        var portal = new PortalFactory { Settings = { ["DataProtection:KeysPath"] = keys, ["Storage:MasterKey"] = masterKey } };
        await ((IAsyncLifetime)portal).InitializeAsync();
        try
        {
            return use(portal);
        }
        finally
        {
            await ((IAsyncLifetime)portal).DisposeAsync();
        }
    }

    private static IDataProtector Protector(PortalFactory portal) =>
        portal.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("key-ring-test");
}
