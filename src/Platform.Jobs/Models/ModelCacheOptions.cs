using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Models;

public sealed class ModelCacheOptions
{
    /// <summary>Models kept loaded for the playground; the least recently used one is unloaded first.</summary>
    [Range(1, 256)]
    public int Capacity { get; set; } = 4;
}
