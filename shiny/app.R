dashboard_app()
