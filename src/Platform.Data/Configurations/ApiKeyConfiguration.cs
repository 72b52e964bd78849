using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Identity;
using Platform.Domain.Tenants;

namespace Platform.Data.Configurations;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).ValueGeneratedNever();
        builder.Property(k => k.Name).HasMaxLength(ApiKey.NameMaxLength);
        builder.Property(k => k.Prefix).HasMaxLength(ApiKey.PrefixLength).IsFixedLength();
        builder.Property(k => k.SecretHash).HasMaxLength(ApiKey.HashLength).IsFixedLength();
        builder.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(k => k.CreatedByUserId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(k => new { k.TenantId, k.CreatedAt });
        builder.HasIndex(k => k.Prefix).IsUnique();
        builder.Ignore(k => k.IsRevoked);
    }
}
