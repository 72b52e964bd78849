namespace Platform.Training.Baseline;

/// <summary>
/// Multinomial logistic regression with an L2 penalty on the weights (not the biases), fitted by
/// L-BFGS on the whole training set at once. It minimises scikit-learn's objective divided by C·n:
/// mean cross-entropy + ||W||² / (2·C·n), so C means what it means there.
/// </summary>
/// <remarks>
/// Full-batch and single-threaded on purpose: every sum runs in the same order each time, so the same
/// data gives bit-identical weights, and a few thousand sparse rows take well under a second.
/// Parameters are laid out feature-major (the K weights of feature j side by side, then the K biases),
/// so a sparse row touches contiguous memory.
/// </remarks>
internal static class SoftmaxRegression
{
    private const int History = 10;

    public sealed record Fit(double[] Parameters, int Iterations, double Loss, bool Converged);

    public static Fit Train(IReadOnlyList<SparseRow> rows, IReadOnlyList<int> labels, int classes, int features, double c,
        int maxIterations, double tolerance, double[]? start = null, CancellationToken cancellationToken = default)
    {
        if (rows.Count != labels.Count)
            throw new ArgumentException($"{rows.Count} rows but {labels.Count} labels");
        var size = features * classes + classes;
        var x = start is null ? new double[size] : (double[])start.Clone();
        if (x.Length != size)
            throw new ArgumentException("the starting point has the wrong size");
        var objective = new Objective(SparseMatrix.From(rows), labels, classes, features, 1.0 / (c * Math.Max(1, rows.Count)));
        var g = new double[size];
        var f = objective.Evaluate(x, g);
        var s = new List<double[]>(History);
        var y = new List<double[]>(History);
        var rho = new List<double>(History);
        var yy = new List<double>(History);
        var alpha = new double[History];
        var direction = new double[size];
        var candidate = new double[size];
        var candidateGradient = new double[size];
        var iteration = 0;
        var converged = DenseMath.MaxAbs(g) <= tolerance;
        while (!converged && iteration < maxIterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iteration++;

            // Two-loop recursion, direction = -H·g with the curvature pairs kept so far; each update of
            // the direction and the dot product the next pair needs share one pass over memory.
            for (var i = 0; i < size; i++)
                direction[i] = -g[i];
            var m = s.Count;
            double slope;
            if (m == 0)
            {
                slope = DenseMath.Dot(g, direction);
            }
            else
            {
                var dot = DenseMath.Dot(s[m - 1], direction);
                for (var k = m - 1; k >= 0; k--)
                {
                    alpha[k] = rho[k] * dot;
                    dot = DenseMath.AddScaledThenDot(-alpha[k], y[k], direction, k > 0 ? s[k - 1] : y[0]);
                }

                // Initial Hessian s·y / y·y of the newest pair; dot is now y[0]·direction.
                var gamma = 1 / (rho[m - 1] * yy[m - 1]);
                DenseMath.Scale(direction, gamma);
                dot *= gamma;
                for (var k = 0; k < m; k++)
                {
                    var beta = rho[k] * dot;
                    dot = DenseMath.AddScaledThenDot(alpha[k] - beta, s[k], direction, k + 1 < m ? y[k + 1] : g);
                }

                // The last pass dotted the direction with g: the slope along it.
                slope = dot;
            }

            if (slope >= 0)
            {
                // Not a descent direction (rounding): start over from steepest descent.
                s.Clear();
                y.Clear();
                rho.Clear();
                yy.Clear();
                for (var i = 0; i < size; i++)
                    direction[i] = -g[i];
                slope = DenseMath.Dot(g, direction);
            }

            // Backtracking until the decrease is at least a small share of the slope's promise (Armijo).
            var step = s.Count == 0 ? Math.Min(1, 1 / Math.Sqrt(-slope)) : 1;
            double next;
            var halvings = 0;
            while (true)
            {
                DenseMath.Step(x, step, direction, candidate);
                next = objective.Evaluate(candidate, candidateGradient);
                if (next <= f + 1e-4 * step * slope || ++halvings > 40)
                    break;
                step *= 0.5;
            }

            if (!(next < f))
            {
                // No step decreases the loss any more: as close to the optimum as doubles allow.
                converged = true;
                break;
            }

            var sk = s.Count == History ? s[0] : new double[size];
            var yk = y.Count == History ? y[0] : new double[size];
            if (s.Count == History)
            {
                s.RemoveAt(0);
                y.RemoveAt(0);
                rho.RemoveAt(0);
                yy.RemoveAt(0);
            }

            DenseMath.Subtract(candidate, x, sk);
            DenseMath.Subtract(candidateGradient, g, yk);
            var sy = DenseMath.Dot(sk, yk);
            if (sy > 1e-12)
            {
                s.Add(sk);
                y.Add(yk);
                rho.Add(1 / sy);
                yy.Add(DenseMath.Dot(yk, yk));
            }

            (x, candidate) = (candidate, x);
            (g, candidateGradient) = (candidateGradient, g);
            var decrease = (f - next) / Math.Max(1, Math.Abs(f));
            f = next;
            converged = DenseMath.MaxAbs(g) <= tolerance || decrease < 1e-12;
        }

        return new Fit(x, iteration, f, converged);
    }

    /// <summary>Logits of one row: biases plus the weights of its features.</summary>
    public static void Logits(SparseRow row, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases, Span<double> logits)
    {
        var classes = biases.Length;
        for (var k = 0; k < classes; k++)
            logits[k] = biases[k];
        for (var n = 0; n < row.Count; n++)
        {
            var value = (double)row.Values[n];
            var w = weights.Slice(row.Indices[n] * classes, classes);
            for (var k = 0; k < classes; k++)
                logits[k] += w[k] * value;
        }
    }

    /// <summary>Rows in compressed sparse row form: one pass over them reads memory in order.</summary>
    private sealed record SparseMatrix(int[] RowStart, int[] Indices, double[] Values)
    {
        public int Rows => RowStart.Length - 1;

        public static SparseMatrix From(IReadOnlyList<SparseRow> rows)
        {
            var starts = new int[rows.Count + 1];
            for (var r = 0; r < rows.Count; r++)
                starts[r + 1] = starts[r] + rows[r].Count;
            var indices = new int[starts[^1]];
            var values = new double[starts[^1]];
            for (var r = 0; r < rows.Count; r++)
            {
                rows[r].Indices.CopyTo(indices, starts[r]);
                for (var n = 0; n < rows[r].Count; n++)
                    values[starts[r] + n] = rows[r].Values[n];
            }

            return new SparseMatrix(starts, indices, values);
        }
    }

    private sealed class Objective(SparseMatrix rows, IReadOnlyList<int> labels, int classes, int features, double lambda)
    {
        private readonly double[] _logits = new double[classes];

        /// <summary>The loss at <paramref name="x"/>; its gradient goes to <paramref name="gradient"/>.</summary>
        public double Evaluate(double[] x, double[] gradient)
        {
            Array.Clear(gradient);
            var biasOffset = features * classes;
            var loss = 0.0;
            var z = _logits.AsSpan();
            var biases = x.AsSpan(biasOffset, classes);
            var biasGradient = gradient.AsSpan(biasOffset, classes);
            for (var r = 0; r < rows.Rows; r++)
            {
                var label = labels[r];
                var from = rows.RowStart[r];
                var to = rows.RowStart[r + 1];
                biases.CopyTo(z);
                for (var n = from; n < to; n++)
                    DenseMath.AddScaled(rows.Values[n], x.AsSpan(rows.Indices[n] * classes, classes), z);

                var max = double.NegativeInfinity;
                foreach (var v in z)
                    max = Math.Max(max, v);
                var truth = z[label] - max;
                var sum = 0.0;
                for (var k = 0; k < classes; k++)
                {
                    z[k] = Math.Exp(z[k] - max);
                    sum += z[k];
                }

                loss += Math.Log(sum) - truth;
                // z becomes the gradient of this row's loss by the logits: softmax minus the one-hot truth.
                DenseMath.Scale(z, 1 / sum);
                z[label] -= 1;
                for (var n = from; n < to; n++)
                    DenseMath.AddScaled(rows.Values[n], z, gradient.AsSpan(rows.Indices[n] * classes, classes));
                DenseMath.AddScaled(1, z, biasGradient);
            }

            var scale = 1.0 / Math.Max(1, rows.Rows);
            var weights = x.AsSpan(0, biasOffset);
            var penalty = DenseMath.Dot(weights, weights);
            // gradient = gradient·scale + lambda·x over the weights; the biases carry no penalty.
            DenseMath.Scale(gradient, scale);
            DenseMath.AddScaled(lambda, weights, gradient.AsSpan(0, biasOffset));
            return loss * scale + 0.5 * lambda * penalty;
        }
    }
}
