using Platform.Training.Metrics;

namespace Platform.Cli;

/// <summary>Prints a result's warnings (at chance, below the baseline) where a success line would otherwise stand alone.</summary>
internal static class Warnings
{
    public static void Print(ResultAssessment assessment, bool advice = true)
    {
        if (!assessment.Warning)
            return;
        Console.WriteLine($"WARNING: {assessment.Summary}");
        foreach (var warning in assessment.Warnings)
            Console.WriteLine($"  - {warning.Message}");
        if (advice && assessment.Advice.Count > 0)
        {
            Console.WriteLine("  what to try:");
            foreach (var line in assessment.Advice)
                Console.WriteLine($"    * {line}");
        }
    }
}
