using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Platform.Data.Tests.Schema;

/// <summary>The SQL migrations are the schema; these tests keep the EF model honest about it.</summary>
public class ModelSchemaTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private async Task<HashSet<string>> DatabaseColumnsAsync()
    {
        const string sql = """
            SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE ' null' END
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'schema_migrations'
            """;
        var columns = new HashSet<string>();
        await using var command = fixture.Database.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }
        return columns;
    }

    private static HashSet<string> ModelColumns(IModel model)
    {
        var columns = new HashSet<string>();
        foreach (var entity in model.GetEntityTypes())
        {
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!);
            foreach (var property in entity.GetProperties())
            {
                columns.Add($"{table.Name}.{property.GetColumnName(table)} {property.GetColumnType()} {(property.IsNullable ? "null" : "not null")}");
            }
        }
        return columns;
    }

    [Fact]
    public async Task Model_Columns_MatchMigratedSchemaExactly()
    {
        await using var db = fixture.Database.CreateDbContext();

        var inModel = ModelColumns(db.Model);
        // Tables other modules own without EF (the job queue's) are not the model's business.
        var mappedTables = inModel.Select(c => c[..c.IndexOf('.')]).ToHashSet();
        var inDatabase = (await DatabaseColumnsAsync()).Where(c => mappedTables.Contains(c[..c.IndexOf('.')])).ToHashSet();

        // Compared as text so a failure lists the columns that differ.
        Assert.Equal("", string.Join("\n", inModel.Except(inDatabase).Order()));
        Assert.Equal("", string.Join("\n", inDatabase.Except(inModel).Order()));
    }

    [Fact]
    public async Task Model_KeysAndIndexes_ExistInDatabase()
    {
        await using var db = fixture.Database.CreateDbContext();
        var names = new List<string>();
        await using (var command = fixture.Database.DataSource.CreateCommand("SELECT conname FROM pg_constraint UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        var expected = db.Model.GetEntityTypes().SelectMany(e =>
            e.GetKeys().Select(k => k.GetName()!)
                .Concat(e.GetIndexes().Select(i => i.GetDatabaseName()!))
                .Concat(e.GetForeignKeys().Select(f => f.GetConstraintName()!)));

        Assert.Equal("", string.Join("\n", expected.Except(names).Order()));
    }

    [Fact]
    public async Task Model_TenantOwnedEntities_HaveRequiredTenantIdAndFilter()
    {
        await using var db = fixture.Database.CreateDbContext();

        var tenantOwned = db.Model.GetEntityTypes().Where(e => e.FindProperty("TenantId") is not null && e.GetTableName() != "tenants").ToList();

        Assert.Equal(["api_keys", "dataset_files", "datasets", "invitations", "tenant_memberships"], tenantOwned.Select(e => e.GetTableName()).Order());
        Assert.All(tenantOwned, e =>
        {
            Assert.False(e.FindProperty("TenantId")!.IsNullable);
            Assert.NotEmpty(e.GetDeclaredQueryFilters());
            Assert.All(e.GetIndexes().Where(i => !i.IsUnique || i.Properties.Count > 1).Where(i => i.Properties.Any(p => p.Name == "TenantId")),
                i => Assert.Equal("TenantId", i.Properties[0].Name));
        });
    }
}
