using Platform.Data.Migrations;

namespace Platform.Data.Tests.Migrations;

public class MigrationScriptTests
{
    [Theory]
    [InlineData("1_init.sql")]
    [InlineData("0001-init.sql")]
    [InlineData("0001_Init.sql")]
    [InlineData("0001_init.txt")]
    public void Parse_BadFileName_Throws(string fileName)
    {
        Assert.Throws<ArgumentException>(() => MigrationScript.Parse(fileName, "SELECT 1;"));
    }

    [Fact]
    public void Ordered_DuplicateVersion_Throws()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => MigrationScripts.Ordered(
            [MigrationScript.Parse("0001_a.sql", "SELECT 1;"), MigrationScript.Parse("0001_b.sql", "SELECT 2;")]));

        Assert.Contains("0001_a.sql", ex.Message);
    }

    [Fact]
    public void Embedded_Always_StartsWithFoundationInOrder()
    {
        var scripts = MigrationScripts.Embedded();

        Assert.Equal(["0001_identity.sql", "0002_tenants.sql", "0003_datasets.sql"], scripts.Take(3).Select(s => s.FileName));
        Assert.Equal(scripts.Select(s => s.Version).Order(), scripts.Select(s => s.Version));
    }
}
