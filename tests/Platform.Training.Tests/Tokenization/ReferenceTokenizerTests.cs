using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Platform.Training.Tests.Common;
using Platform.Training.Tokenization;

namespace Platform.Training.Tests.Tokenization;

/// <summary>Differential tests against a Python transcription of Hugging Face's BertTokenizer logic: words, pieces, and [CLS]/[SEP] encodings of texts and pairs with truncation.</summary>
public sealed class ReferenceTokenizerTests
{
    [Fact]
    public void Tokenize_RandomUnicodeTexts_MatchesReference()
    {
        using var dir = new TestDirectory();
        var output = dir.File("reference.json");
        RunReference(output, count: 3000, seed: 7);
        using var document = JsonDocument.Parse(File.ReadAllBytes(output));
        var root = document.RootElement;
        var vocabulary = new WordPieceVocabulary(root.GetProperty("vocab").EnumerateArray().Select(e => e.GetString()!));
        var uncased = new BertTokenizer(vocabulary);
        var cased = new BertTokenizer(vocabulary, new BertTokenizerOptions { LowerCase = false });

        var mismatches = new List<string>();
        foreach (var testCase in root.GetProperty("cases").EnumerateArray())
        {
            var text = testCase.GetProperty("text").GetString()!;
            Compare(text, "uncased words", Strings(testCase, "uncased_words"), uncased.BasicTokenize(text), mismatches);
            Compare(text, "uncased pieces", Strings(testCase, "uncased_pieces"), uncased.Tokenize(text), mismatches);
            Compare(text, "cased words", Strings(testCase, "cased_words"), cased.BasicTokenize(text), mismatches);
            Compare(text, "cased pieces", Strings(testCase, "cased_pieces"), cased.Tokenize(text), mismatches);
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(10)));
    }

    [Fact]
    public void Encode_RandomTextsAndPairsTruncated_MatchesReference()
    {
        using var dir = new TestDirectory();
        var output = dir.File("reference.json");
        RunReference(output, count: 3000, seed: 7);
        using var document = JsonDocument.Parse(File.ReadAllBytes(output));
        var root = document.RootElement;
        var vocabulary = new WordPieceVocabulary(root.GetProperty("vocab").EnumerateArray().Select(e => e.GetString()!));
        var uncased = new BertTokenizer(vocabulary);
        var cased = new BertTokenizer(vocabulary, new BertTokenizerOptions { LowerCase = false });

        var mismatches = new List<string>();
        var truncated = 0;
        foreach (var encoding in root.GetProperty("encodings").EnumerateArray())
        {
            var text = encoding.GetProperty("text").GetString()!;
            var pair = encoding.GetProperty("pair").GetString();
            var maxLength = encoding.GetProperty("max_length").GetInt32();
            var tokenizer = encoding.GetProperty("lower").GetBoolean() ? uncased : cased;
            var expectedIds = encoding.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var expectedTypes = encoding.GetProperty("token_type_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            truncated += expectedIds.Length == maxLength ? 1 : 0;

            var actual = tokenizer.Encode(text, pair, maxLength, padToMaxLength: false);

            if (!expectedIds.SequenceEqual(actual.InputIds) || !expectedTypes.SequenceEqual(actual.TokenTypeIds))
            {
                mismatches.Add($"{JsonSerializer.Serialize(text)} + {JsonSerializer.Serialize(pair)} to {maxLength}: expected {JsonSerializer.Serialize(expectedIds)}, got {JsonSerializer.Serialize(actual.InputIds)}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(10)));
        Assert.True(truncated > 100, $"only {truncated} encodings reach their maximum length");
    }

    private static string[] Strings(JsonElement element, string name) =>
        element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static void Compare(string text, string what, string[] expected, IReadOnlyList<string> actual, List<string> mismatches)
    {
        if (!expected.SequenceEqual(actual))
        {
            mismatches.Add($"{what} of {JsonSerializer.Serialize(text)}: expected {JsonSerializer.Serialize(expected)}, got {JsonSerializer.Serialize(actual)}");
        }
    }

    internal static void RunReference(string output, int count, int seed, [CallerFilePath] string sourceFile = "")
    {
        var script = Path.Combine(Path.GetDirectoryName(sourceFile)!, "reference_bert_tokenizer.py");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        foreach (var argument in new[] { script, output, count.ToString(), seed.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
    }
}
