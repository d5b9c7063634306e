locals {
  region = data.aws_region.current.name
  widgets = [
    {
      title   = "Events accepted / rejected / DLQ sends"
      metrics = [[var.metrics_namespace, "EventsAccepted", "service", "ingest"], [".", "EventsRejected", ".", "."], [".", "DlqSends", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "API requests, 4xx, 5xx"
      metrics = [["AWS/ApiGateway", "Count", "ApiId", var.api_id, "Stage", var.api_stage], [".", "4xx", ".", ".", ".", "."], [".", "5xx", ".", ".", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "API latency p95 (ms)"
      metrics = [["AWS/ApiGateway", "Latency", "ApiId", var.api_id, "Stage", var.api_stage]]
      stat    = "p95"
    },
    {
      title   = "Ingest errors and throttles"
      metrics = [["AWS/Lambda", "Errors", "FunctionName", var.ingest_function_name], [".", "Throttles", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "Data freshness (minutes) and ETL lag (s)"
      metrics = [[var.metrics_namespace, "DataFreshnessMinutes", "service", "etl"], [".", "EtlLagSeconds", ".", "."]]
      stat    = "Maximum"
    },
    {
      title   = "ETL rows inserted, failed runs, quarantined objects"
      metrics = [[var.metrics_namespace, "EtlRowsInserted", "service", "etl"], [".", "EtlFailed", ".", "."], [".", "QuarantinedObjects", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "ETL and compactor duration (ms)"
      metrics = [["AWS/Lambda", "Duration", "FunctionName", var.etl_function_name], ["...", var.compact_function_name]]
      stat    = "Maximum"
    },
    {
      title   = "Queue depth: rejected events, parked batches, failed schedules"
      metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.ingest_dlq_name], ["...", var.ingest_parking_queue_name], ["...", var.schedule_dlq_name]]
      stat    = "Maximum"
    },
    {
      title   = "Warehouse host status check failures"
      metrics = [["AWS/EC2", "StatusCheckFailed", "InstanceId", var.warehouse_instance_id]]
      stat    = "Maximum"
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 3) * 8
        y      = floor(i / 3) * 6
        width  = 8
        height = 6
        properties = {
          title   = w.title
          region  = local.region
          metrics = w.metrics
          stat    = w.stat
          period  = 300
          view    = "timeSeries"
        }
      }
    ]
  })
}
