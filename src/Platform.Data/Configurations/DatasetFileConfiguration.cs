using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;

namespace Platform.Data.Configurations;

internal sealed class DatasetFileConfiguration : IEntityTypeConfiguration<DatasetFile>
{
    public void Configure(EntityTypeBuilder<DatasetFile> builder)
    {
        builder.ToTable("dataset_files");
        builder.HasKey(f => new { f.TenantId, f.DatasetId, f.Hash });
        builder.Property(f => f.Hash).HasMaxLength(Dataset.HashLength).IsFixedLength();
        // Keyed by (tenant_id, dataset_id) so a file row cannot point at another tenant's dataset.
        builder.HasOne<Dataset>().WithMany()
            .HasForeignKey(f => new { f.TenantId, f.DatasetId })
            .HasPrincipalKey(d => new { d.TenantId, d.Id })
            .OnDelete(DeleteBehavior.Cascade);
        // Deleting a dataset asks whether any other dataset of the tenant still uses a file.
        builder.HasIndex(f => new { f.TenantId, f.Hash });
    }
}
