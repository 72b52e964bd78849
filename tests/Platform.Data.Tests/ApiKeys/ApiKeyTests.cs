using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Domain.Common;
using Platform.Domain.Tenants;
using Platform.Testing;

namespace Platform.Data.Tests.ApiKeys;

public class ApiKeyTests(DataServices services) : IClassFixture<DataServices>
{
    private async Task<T> AsAsync<T>(TestTenant tenant, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = services.ScopeFor(tenant);
        return await action(scope.ServiceProvider);
    }

    private Task<Result<CreatedApiKey>> CreateAsync(TestTenant tenant, string name = "CI") =>
        AsAsync(tenant, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync(name));

    private Task<ApiKeyPrincipal?> AuthenticateAsync(string key) =>
        AsAsync(new TestTenant(), sp => sp.GetRequiredService<AuthenticateApiKeyQuery>().ExecuteAsync(key));

    [Fact]
    public async Task Create_Owner_KeyAuthenticatesAsItsTenantAndOnlyItsHashIsStored()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);

        var created = await CreateAsync(owner);

        Assert.True(created.IsSuccess, created.Error);
        var principal = await AuthenticateAsync(created.Value.PlainText);
        Assert.Equal((tenant.Id, owner.UserId!.Value), (principal!.TenantId, principal.UserId));
        var stored = await services.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM api_keys WHERE secret_hash LIKE '%{created.Value.PlainText[^10..]}%' OR name = '{created.Value.PlainText}'");
        Assert.Equal(0L, stored);
    }

    [Fact]
    public async Task Create_Member_IsForbidden()
    {
        var (tenant, _) = await Seed.TenantAsync(services.Database);
        var member = await Seed.MemberAsync(services.Database, tenant.Id, TenantRole.Member);

        var created = await CreateAsync(new TestTenant(tenant.Id, member.Id));

        Assert.Equal(ResultStatus.Forbidden, created.Status);
    }

    [Fact]
    public async Task Authenticate_WrongSecretOrMalformed_Fails()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var key = (await CreateAsync(owner)).Value.PlainText;

        Assert.Null(await AuthenticateAsync(key[..^1] + (key[^1] == 'A' ? 'B' : 'A')));
        Assert.Null(await AuthenticateAsync("not-a-key"));
        Assert.Null(await AuthenticateAsync(""));
    }

    [Fact]
    public async Task Revoke_Key_NoLongerAuthenticates()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var created = (await CreateAsync(owner)).Value;

        var revoked = await AsAsync(owner, sp => sp.GetRequiredService<RevokeApiKeyCommand>().ExecuteAsync(created.Id));

        Assert.True(revoked.IsSuccess, revoked.Error);
        Assert.Null(await AuthenticateAsync(created.PlainText));
    }

    [Fact]
    public async Task ListAndRevoke_AnotherTenantsKeys_AreInvisible()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var (_, stranger) = await Seed.TenantAsync(services.Database);
        var created = (await CreateAsync(owner, "mine")).Value;

        var listed = await AsAsync(stranger, sp => sp.GetRequiredService<ListApiKeysQuery>().ExecuteAsync());
        var revoked = await AsAsync(stranger, sp => sp.GetRequiredService<RevokeApiKeyCommand>().ExecuteAsync(created.Id));

        Assert.Empty(listed);
        Assert.Equal(ResultStatus.NotFound, revoked.Status);
        Assert.NotNull(await AuthenticateAsync(created.PlainText));
    }
}
