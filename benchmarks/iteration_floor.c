/* The cost floor of the solver's work in compiled code (issue 9's pipeline-time line).
 *
 * One problem of the main fit (model 7: y ≈ exp(x_u·θ_u) + exp(x_v·θ_v), 5 coefficients per
 * term, n weighted rows), written as plain loops, one problem at a time, with no temporaries:
 *   value       the weighted squared error at θ (what each line-search trial costs);
 *   derivatives its gradient and exact Hessian at θ, then a Cholesky solve of the 10×10
 *               Newton system (what every Newton iteration costs besides its trials).
 * Prints microseconds per call of each. `benchmarks/bench_solver_floor.py` compiles and
 * runs it beside the package's batched numpy solver.
 *
 *     cc -O2 -o floor iteration_floor.c -lm && ./floor 264 20000
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define K 5          /* coefficients per exponential term */
#define P (2 * K)    /* coefficients of the problem */

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double value(int n, const double *xu, const double *xv, const double *y,
                    const double *w, const double *theta) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double a = 0.0, b = 0.0;
        for (int k = 0; k < K; k++) {
            a += xu[i * K + k] * theta[k];
            b += xv[i * K + k] * theta[K + k];
        }
        double r = y[i] - exp(a) - exp(b);
        sum += w[i] * r * r;
    }
    return sum;
}

/* gradient g (P) and lower triangle of the Hessian h (P×P, row-major) of the weighted MSE */
static void derivatives(int n, const double *xu, const double *xv, const double *y,
                        const double *w, const double *theta, double *g, double *h) {
    for (int k = 0; k < P; k++) g[k] = 0.0;
    for (int k = 0; k < P * P; k++) h[k] = 0.0;
    for (int i = 0; i < n; i++) {
        double a = 0.0, b = 0.0;
        for (int k = 0; k < K; k++) {
            a += xu[i * K + k] * theta[k];
            b += xv[i * K + k] * theta[K + k];
        }
        double eu = exp(a), ev = exp(b), r = y[i] - eu - ev;
        double cu = 2.0 * w[i] * eu * (eu - r), cv = 2.0 * w[i] * ev * (ev - r);
        double cuv = 2.0 * w[i] * eu * ev, gu = 2.0 * w[i] * r * eu, gv = 2.0 * w[i] * r * ev;
        for (int k = 0; k < K; k++) {
            g[k] -= gu * xu[i * K + k];
            g[K + k] -= gv * xv[i * K + k];
            for (int l = 0; l <= k; l++) {
                h[k * P + l] += cu * xu[i * K + k] * xu[i * K + l];
                h[(K + k) * P + K + l] += cv * xv[i * K + k] * xv[i * K + l];
            }
            for (int l = 0; l < K; l++) h[(K + k) * P + l] += cuv * xv[i * K + k] * xu[i * K + l];
        }
    }
}

/* solve h s = −g in place (s in g) by Cholesky on the lower triangle; 0 if not definite */
static int newton_step(double *h, double *g) {
    for (int j = 0; j < P; j++) {
        double d = h[j * P + j];
        for (int k = 0; k < j; k++) d -= h[j * P + k] * h[j * P + k];
        if (d <= 0.0) return 0;
        d = sqrt(d);
        h[j * P + j] = d;
        for (int i = j + 1; i < P; i++) {
            double t = h[i * P + j];
            for (int k = 0; k < j; k++) t -= h[i * P + k] * h[j * P + k];
            h[i * P + j] = t / d;
        }
    }
    for (int i = 0; i < P; i++) {
        double t = -g[i];
        for (int k = 0; k < i; k++) t -= h[i * P + k] * g[k];
        g[i] = t / h[i * P + i];
    }
    for (int i = P - 1; i >= 0; i--) {
        double t = g[i];
        for (int k = i + 1; k < P; k++) t -= h[k * P + i] * g[k];
        g[i] = t / h[i * P + i];
    }
    return 1;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 264, reps = argc > 2 ? atoi(argv[2]) : 20000;
    double *xu = malloc(sizeof(double) * n * K), *xv = malloc(sizeof(double) * n * K);
    double *y = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
    srand(1);
    for (int i = 0; i < n * K; i++) {
        xu[i] = rand() / (double)RAND_MAX - 0.5;
        xv[i] = rand() / (double)RAND_MAX - 0.5;
    }
    for (int i = 0; i < n; i++) {
        y[i] = 3.0 + rand() / (double)RAND_MAX;
        w[i] = 1.0 / n;
    }
    double theta[P] = {0.5, 0.1, -0.1, 0.05, 0.02, 0.4, 0.1, -0.1, 0.05, 0.02};
    double g[P], h[P * P], sink = 0.0;
    double start = seconds();
    for (int r = 0; r < reps; r++) {
        theta[0] = 0.5 + 1e-9 * r;  /* a new point each call, as in a search */
        sink += value(n, xu, xv, y, w, theta);
    }
    double per_value = (seconds() - start) / reps;
    start = seconds();
    for (int r = 0; r < reps; r++) {
        theta[0] = 0.5 + 1e-9 * r;
        derivatives(n, xu, xv, y, w, theta, g, h);
        for (int k = 0; k < P; k++) h[k * P + k] += 1.0;  /* keep every system definite */
        sink += newton_step(h, g) ? g[0] : 0.0;
    }
    double per_derivative = (seconds() - start) / reps;
    printf("value_us %.3f\nderivative_us %.3f\nsink %g\n", 1e6 * per_value,
           1e6 * per_derivative, sink);
    return 0;
}
