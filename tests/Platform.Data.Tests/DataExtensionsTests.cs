using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Data.Migrations;
using Platform.Testing;

namespace Platform.Data.Tests;

public class DataExtensionsTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPlatformData();
        return builder.Build();
    }

    [Fact]
    public async Task StartAsync_NoConnectionString_FailsNamingIt()
    {
        using var temp = new TempDirectory();
        using var host = Build(new() { ["Storage:Root"] = temp.Path });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings:Platform", ex.Message);
    }

    [Fact]
    public async Task StartAsync_NoStorageRoot_FailsNamingIt()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        using var host = Build(new() { ["ConnectionStrings:Platform"] = database.ConnectionString, ["Data:Migrations"] = "None" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Storage:Root", ex.Message);
    }

    [Fact]
    public async Task StartAsync_ApplyMode_MigratesEmptyDatabase()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        using var temp = new TempDirectory();
        using var host = Build(new() { ["ConnectionStrings:Platform"] = database.ConnectionString, ["Storage:Root"] = temp.Path });

        await host.StartAsync();
        await host.StopAsync();

        Assert.True((await database.CreateMigrator().CheckAsync()).IsUpToDate);
    }

    [Fact]
    public async Task StartAsync_CheckModeOnUnmigratedDatabase_RefusesToStart()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        using var temp = new TempDirectory();
        using var host = Build(new()
        {
            ["ConnectionStrings:Platform"] = database.ConnectionString,
            ["Storage:Root"] = temp.Path,
            ["Data:Migrations"] = "Check",
        });

        var ex = await Assert.ThrowsAsync<MigrationException>(() => host.StartAsync());

        Assert.Equal("0001_identity.sql", ex.FileName);
        Assert.False(await database.ScalarAsync<bool>("SELECT to_regclass('users') IS NOT NULL"));
    }
}
