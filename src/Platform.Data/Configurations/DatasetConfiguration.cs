using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Identity;
using Platform.Domain.Datasets;
using Platform.Domain.Tenants;

namespace Platform.Data.Configurations;

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<Dataset>
{
    public void Configure(EntityTypeBuilder<Dataset> builder)
    {
        builder.ToTable("datasets");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).ValueGeneratedNever();
        builder.Property(d => d.Name).HasMaxLength(Dataset.NameMaxLength);
        builder.Property(d => d.Kind).HasConversion<string>().HasMaxLength(20);
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(20);
        builder.Property(d => d.ContentHash).HasMaxLength(Dataset.HashLength).IsFixedLength();
        builder.Property(d => d.ArtifactPath).HasMaxLength(Dataset.ArtifactPathMaxLength);
        builder.Property(d => d.SplitPath).HasMaxLength(Dataset.ArtifactPathMaxLength);
        builder.Property(d => d.TextColumn).HasMaxLength(Dataset.ColumnMaxLength);
        builder.Property(d => d.LabelColumn).HasMaxLength(Dataset.ColumnMaxLength);
        builder.Property(d => d.LabelCounts).HasColumnType("jsonb").HasConversion(JsonColumn.Converter<IReadOnlyDictionary<string, int>>(), JsonColumn.Comparer<IReadOnlyDictionary<string, int>>());
        builder.Property(d => d.Warnings).HasColumnType("jsonb").HasConversion(JsonColumn.Converter<IReadOnlyList<string>>(), JsonColumn.Comparer<IReadOnlyList<string>>());
        builder.Property(d => d.Stats).HasColumnType("jsonb").HasConversion(JsonColumn.Converter<DatasetStats>(), JsonColumn.Comparer<DatasetStats>());
        builder.Property(d => d.Samples).HasColumnType("jsonb").HasConversion(JsonColumn.Converter<IReadOnlyList<DatasetSample>>(), JsonColumn.Comparer<IReadOnlyList<DatasetSample>>());
        builder.HasOne<Tenant>().WithMany().HasForeignKey(d => d.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(d => d.CreatedByUserId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(d => new { d.TenantId, d.Name, d.Version }).IsUnique();
        // Newest first by (created_at, id): the list's keyset order (migration 0210).
        builder.HasIndex(d => new { d.TenantId, d.CreatedAt, d.Id }).IsDescending(false, true, true);
    }
}
